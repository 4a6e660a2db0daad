"""Maximum lengths, in characters, of the database columns that parsed values go into.

The numbers repeat the max_length of the experts, conflicts, unavailability and
institutions models, because this package does not import the database layer. A
test compares the two. PostgreSQL counts varchar lengths in characters, as len() does.

A value longer than its column is a row error (`value_too_long`), free text such as
备注 included: the row is not imported, so that nothing is cut without the user
seeing it. Licence numbers and credit codes are not checked against these limits,
because their format checks already drop anything longer than 20 characters, with a
warning.
"""

from __future__ import annotations

# experts
EXPERT_NAME = 50
# Also the limit of employer_key, the matching key derived from the name.
EMPLOYER_NAME = 200
TITLE = 40
RECOMMENDATION = 100
PHONE = 20
EMAIL = 120
# Also the limit of 备注 in the unavailability sheet and the registry, whose tables
# have no note column yet, so that the parsed value fits one added later.
NOTE = 500

# conflicts: 说明 and 备注 share the note column, so each must fit it.
RELATION_TEXT = 100
CONFLICT_NOTE = 500
# Also the limit of the conflict's institution_key.
INSTITUTION_KEY = 200

# unavailability
UNAVAILABILITY_REASON = 100

# institutions: also the limit of name_key, derived from the name.
INSTITUTION_NAME = 200
DISTRICT = 50
