"""The background categories a profile can flag (API.md "specialCategories").

Each is a boolean field of User and, when set, appears under the same name in
`specialCategories` and earns scoring points when shared. Plain Python, no Django, so the
pure scoring rules can import it too.
"""

CATEGORY_FIELDS = ("international", "commuter", "firstgen", "outofstate", "transfer")
