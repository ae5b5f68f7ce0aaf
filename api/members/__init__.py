"""An organization's members, invitations, roles and permission checks."""
