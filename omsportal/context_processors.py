from django.conf import settings

from .navigation import menu_bar, menu_for


def portal(request):
    menu = menu_for(request.user) if hasattr(request, "user") else []
    return {
        "OMS_REGION_CODE": settings.OMS_REGION_CODE,
        "USES_EMBEDDED_DB": settings.USES_EMBEDDED_DB,
        "main_menu": menu,
        "main_bar": menu_bar(menu),
    }
