"""One Claude Code session through the Claude Agent SDK (which runs its bundled Claude Code):
the prompt in argv[1], run in the current directory, the tools it needs allowed.
Claude Code's telemetry switches and the API base URL come from the environment, which the
SDK passes on to the CLI it starts. Prints the SDK's own result (cost, usage) as JSON."""
import asyncio
import json
import sys

from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def main(prompt):
    # Allowed by name: bypassPermissions is refused to root, which CI runs as.
    options = ClaudeAgentOptions(allowed_tools=["Glob", "Read", "Agent"], model="claude-sonnet-4-5")
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, ResultMessage):
            print(json.dumps({"total_cost_usd": message.total_cost_usd, "usage": message.usage,
                              "num_turns": message.num_turns}))


asyncio.run(main(sys.argv[1]))
