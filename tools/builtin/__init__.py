"""The tools that ship with chatui, one module each (listed in ``settings.TOOLS``)."""
