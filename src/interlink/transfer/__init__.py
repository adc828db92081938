"""Export and import: a workspace's configuration as a versioned JSON bundle, and CSV of lists."""
