package otelcost.capture;

import java.util.List;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The calls of the i_spring_ai capture, through Spring AI's ChatClient (model gpt-4o-mini,
 * from application.properties), one fake-server request each, in this order:
 *   1. a plain call;
 *   2. a call with a long system prompt (the fake server caches it: no cache read yet);
 *   3. the same system prompt again (a cache read);
 *   4. a streamed call (Spring AI asks for stream_options.include_usage by default, so the
 *      usage arrives in the last chunk).
 * Then exit: closing the context flushes the OTLP span exporter and meter registry.
 */
@SpringBootApplication
public class App {
    static final String SYSTEM = "You are a terse assistant for a cost-accounting test. ".repeat(10);

    public static void main(String[] args) {
        System.exit(SpringApplication.exit(SpringApplication.run(App.class, args)));
    }

    @Bean
    CommandLineRunner calls(ChatClient.Builder builder) {
        return args -> {
            ChatClient client = builder.build();
            client.prompt().user("Say hello.").call().chatResponse();
            client.prompt().system(SYSTEM).user("Name a colour.").call().chatResponse();
            client.prompt().system(SYSTEM).user("Count to three.").call().chatResponse();
            List<String> chunks = client.prompt().user("Stream a short poem.").stream().content().collectList().block();
            System.out.println("streamed chunks: " + (chunks == null ? 0 : chunks.size()));
        };
    }
}
