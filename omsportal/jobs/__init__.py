"""The job kit: every background job of the portal (register imports, list uploads, event batches, and the
informing batches, invoice loads and report jobs to come) is built on it the same way.

- ``omsportal.jobs.models.Job``: the abstract job row (status, progress counts, errors, log, timestamps, attempts,
  who started it); ``JobStatus`` its statuses.
- ``omsportal.jobs.kinds``: ``register_job(JobKind(...))`` in the app's ``tasks.py`` declares a kind (its model,
  its run function, its lock space from ``omsportal.locks``, what to do with a lost one) and returns its Celery
  task, named after the kind.
- ``omsportal.jobs.dispatch.enqueue_job(name, id)``: what a service calls after creating the job row; the job
  starts after the commit, by name, so services never import tasks.
- ``omsportal.jobs.runner.run_job(name, id)``: claim (conditional update), lock, run, record a failure; what the
  task does, and what synchronous paths (command line, ``run_async=False``) call.
- ``omsportal.jobs.progress.ProgressWriter``: the run's progress on its own connection (the run receives one).
- ``omsportal.jobs.resume.resume_jobs()``: the sweeper (Celery beat every 5 minutes, ``manage.py resume_jobs``).

Import from the submodules; this package module stays free of imports so that models can use ``Job`` early.
"""
