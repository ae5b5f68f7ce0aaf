"""The registry's REST API: ``api.main`` builds the app; one package per feature
(organizations, members, keys, history), and ``api.http`` the machinery they share."""
