"""The article bot: answers questions about a news article by quoting its sentences, with citations."""
