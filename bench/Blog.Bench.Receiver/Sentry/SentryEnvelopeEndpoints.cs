using Microsoft.AspNetCore.Http.HttpResults;

namespace Blog.Bench.Receiver.Sentry;

/// <summary>Sentry's envelope endpoint, as the SDK derives it from a DSN <c>http://key@host/{project}</c>.</summary>
public static class SentryEnvelopeEndpoints
{
    public static IEndpointRouteBuilder MapSentryEnvelopes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/{project}/envelope/", ReceiveAsync);
        return app;
    }

    private static async Task<Results<Ok<SentryEnvelopeResponse>, BadRequest>> ReceiveAsync(
        string project, HttpContext context, ReceiverCounts counts)
    {
        var (wireBytes, content) = await RequestBodies.ReadAsync(context.Request, context.RequestAborted);
        SentryEnvelope envelope;
        try
        {
            envelope = SentryEnvelope.Parse(content);
        }
        catch (InvalidDataException)
        {
            return TypedResults.BadRequest();
        }

        counts.AddSentryEnvelope(wireBytes, envelope.ItemTypes, envelope.DiscardedTransactions);
        return TypedResults.Ok(new SentryEnvelopeResponse(envelope.EventId ?? Guid.NewGuid().ToString("N")));
    }
}

/// <summary>What Sentry answers to an accepted envelope.</summary>
public sealed record SentryEnvelopeResponse(string Id);
