# Scenario A's aggregation as a function-pythonic Composite script, so that
# benches/serve_load.rs measures a Python function doing equivalent work:
# read two composed resources' connection details and publish eight keys,
# four of them renamed, on the composite.
class ConnectionDetails(BaseComposite):
    def compose(self):
        key = self.resources.key.connection
        key2 = self.resources.key2.connection
        for name in ('username', 'password', 'attribute.secret', 'attribute.ses_smtp_password_v4'):
            if name in key:
                self.connection[name] = key[name]
        renamed = (
            ('key2-user', 'username'),
            ('key2-password', 'password'),
            ('key2-secret', 'attribute.secret'),
            ('key2-smtp', 'attribute.ses_smtp_password_v4'),
        )
        for ours, theirs in renamed:
            if theirs in key2:
                self.connection[ours] = key2[theirs]
