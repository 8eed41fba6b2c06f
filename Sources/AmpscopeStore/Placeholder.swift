// AmpscopeStore: under construction
