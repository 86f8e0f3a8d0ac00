// Filled by the API client work (transport, auth, models).
