"""The report document and its renderings: text, JSON, SARIF, JUnit, Markdown, CI annotations."""
