fn main() {
    println!("otelcost");
}
