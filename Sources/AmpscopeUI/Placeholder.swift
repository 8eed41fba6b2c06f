// AmpscopeUI: under construction
