"""The web app: owners' pages reached by signed links, and the chef's and board's pages.

Importing this package imports no web framework; `tracker.web.main.create_app` builds the app.
"""
