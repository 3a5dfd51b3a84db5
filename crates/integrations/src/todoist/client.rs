//! TODO(todoist helper)
