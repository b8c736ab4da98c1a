"""The action-plan tracker: storage, services, web, CLI, scheduler. Wires the adapters."""
