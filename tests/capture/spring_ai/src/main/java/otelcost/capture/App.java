package otelcost.capture;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * Three chat calls through Spring AI's ChatClient (default model from application.properties),
 * then exit: closing the context flushes the OTLP span exporter and the OTLP meter registry.
 * Prints one JSON line per call (the usage Spring AI saw) for calls.json.
 */
@SpringBootApplication
public class App {
    public static void main(String[] args) {
        System.exit(SpringApplication.exit(SpringApplication.run(App.class, args)));
    }

    @Bean
    CommandLineRunner calls(ChatClient.Builder builder) {
        return args -> {
            ChatClient client = builder.build();
            String[] prompts = {"Say hello.", "Name a colour.", "Count to three."};
            for (String prompt : prompts) {
                ChatResponse response = client.prompt().user(prompt).call().chatResponse();
                var usage = response.getMetadata().getUsage();
                System.out.printf("{\"prompt\": \"%s\", \"model\": \"%s\", \"prompt_tokens\": %d, \"completion_tokens\": %d}%n",
                        prompt, response.getMetadata().getModel(), usage.getPromptTokens(), usage.getCompletionTokens());
            }
        };
    }
}
