"""The expertise directory, by noun:

- `taxonomy`: the skills config (config/skills.toml) read into a Taxonomy;
- `profiles`: directory entries linked to accounts, the person's own text and the opt-out;
- `skills`: declared skills with levels, and endorsements;
- `hr_import`: HR data imported from CSV;
- `listing`: the directory listing, with units and locations to browse by;
- `public_profile`: a person as anyone may see them (with their leaver status once they left).

Import from the modules themselves; this package file names them only, so importing one module
(as `harvest.leavers` imports `profiles`) loads nothing above it.
"""
