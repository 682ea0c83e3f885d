"""One model layer over the official openai, anthropic and google-genai SDKs."""
