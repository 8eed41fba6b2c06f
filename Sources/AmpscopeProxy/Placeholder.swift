// AmpscopeProxy: under construction
