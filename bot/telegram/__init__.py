"""The Telegram bot: every module that imports python-telegram-bot lives in this package."""
