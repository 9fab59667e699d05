using Blog.Bench.Receiver;
using Blog.Bench.Receiver.Otlp;
using Blog.Bench.Receiver.Sentry;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddSingleton<ReceiverCounts>();

var app = builder.Build();
app.MapOtlp();
app.MapSentryEnvelopes();
app.MapGet("/counts", (ReceiverCounts counts) => TypedResults.Ok(counts.Snapshot()));
app.MapPost("/reset", (ReceiverCounts counts) =>
{
    counts.Reset();
    return TypedResults.NoContent();
});
app.Run();
