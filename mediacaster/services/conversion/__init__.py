"""Converting files a target cannot play into seekable HLS segments."""
