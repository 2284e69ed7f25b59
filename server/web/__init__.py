"""HTTP: one module per audience or resource. Routes call the domain and the
auth flows; they never write to the database themselves."""
