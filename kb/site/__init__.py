"""An article becomes a site: the MkDocs plugin, the site model, i18n and the build.

The only package that imports MkDocs. Its speed machinery is in `kb.site.fast`."""
