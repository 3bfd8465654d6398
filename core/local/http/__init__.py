"""The local backend's HTTP wing: the app, its routes, responses and the server that runs them."""
