enum TopicsPlaceholder {}
