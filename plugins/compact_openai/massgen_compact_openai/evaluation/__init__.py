"""`massgen-plugins compaction eval`: OpenAI compaction against MassGen's summarization."""
