from django.conf import settings


def portal(request):
    return {"OMS_REGION_CODE": settings.OMS_REGION_CODE, "USES_EMBEDDED_DB": settings.USES_EMBEDDED_DB}
