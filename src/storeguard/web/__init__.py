"""What every admin page shares: layout and navigation, templates, static files, languages and
formats, forms, flash messages, key pagination, security headers and error pages.

It knows no domain: each domain's ``views.py`` renders its ``templates/<domain>/`` through it.
"""
