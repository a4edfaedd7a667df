"""Who may stop what: the policy file's model, the pure decisions made from it, and its loading.

``model`` validates a parsed TOML document into typed, frozen models; ``decide`` makes every
decision (may this person ask here, which servers are protected, is an approval needed, may this
person approve) as pure functions of the policy, a ``Person`` and a ``GroupIndex``; ``load``
reads the file and turns every mistake into one plain answer naming the file and the key.
"""
