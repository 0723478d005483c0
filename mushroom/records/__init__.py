"""Records that cross a component boundary: one type each, with to_dict/from_dict."""
