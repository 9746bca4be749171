"""On-premises appliance facts: building the facts row, DNS answers."""
