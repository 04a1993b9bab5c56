"""The bot's handlers, one module per concern; wiring is in bot.telegram.app."""
