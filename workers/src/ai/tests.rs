//! The AI handlers against fake OpenAI and Ollama servers on 127.0.0.1.
