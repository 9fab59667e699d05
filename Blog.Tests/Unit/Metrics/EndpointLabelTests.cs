using Blog.ServiceDefaults.Metrics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Blog.Tests.Unit.Metrics;

/// <summary>The <c>endpoint</c> label of the HTTP metrics, the access log and Sentry's <c>route</c> tag.</summary>
public sealed class EndpointLabelTests
{
    /// <summary>The one call of the code under test.</summary>
    private static string Label(HttpContext context) => EndpointLabel.For(context);

    private static RouteEndpoint Route(string template) =>
        new(_ => Task.CompletedTask, RoutePatternFactory.Parse(template), order: 0, EndpointMetadataCollection.Empty, template);

    private static HttpContext Matched(string template)
    {
        var context = new DefaultHttpContext();
        context.SetEndpoint(Route(template));
        return context;
    }

    [Theory]
    [InlineData("/api/posts", "/api/posts")]
    [InlineData("/api/posts/{id:long}", "/api/posts/{id}")]
    [InlineData("/api/posts/{id:long:min(1)}/comments", "/api/posts/{id}/comments")]
    [InlineData("/api/posts/{page=1}", "/api/posts/{page}")]
    [InlineData("/posts/{slug?}", "/posts/{slug}")]
    [InlineData("/files/{**rest}", "/files/{rest}")]
    [InlineData("/files/{*rest}", "/files/{rest}")]
    [InlineData("/files/{**rest:nonfile}", "/files/{rest}")]
    public void A_matched_route_is_labelled_by_its_template_without_constraints_defaults_or_markers(string template, string label) =>
        Assert.Equal(label, Label(Matched(template)));

    [Theory]
    [InlineData("api/posts/{id}", "/api/posts/{id}")]
    [InlineData("/api/posts/", "/api/posts")]
    [InlineData("api/posts/{id:long}/", "/api/posts/{id}")]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    public void Templates_written_with_or_without_leading_and_trailing_slashes_get_one_label(string template, string label) =>
        Assert.Equal(label, Label(Matched(template)));

    [Fact]
    public void A_request_that_matched_no_route_is_unmatched() =>
        Assert.Equal("unmatched", Label(new DefaultHttpContext()));

    [Fact]
    public void An_endpoint_that_is_not_a_route_is_unmatched()
    {
        var context = new DefaultHttpContext();
        context.SetEndpoint(new Endpoint(_ => Task.CompletedTask, EndpointMetadataCollection.Empty, "not a route"));

        Assert.Equal("unmatched", Label(context));
    }

    [Fact]
    public void After_an_unhandled_exception_the_route_that_threw_is_the_label()
    {
        // The exception handler clears the endpoint before re-executing, and keeps the original in its feature.
        var context = new DefaultHttpContext();
        context.Features.Set<IExceptionHandlerFeature>(new ExceptionHandlerFeature
        {
            Error = new InvalidOperationException("boom"),
            Path = "/api/posts/42",
            Endpoint = Route("/api/posts/{id:long}"),
        });

        Assert.Equal("/api/posts/{id}", Label(context));
    }

    [Fact]
    public void The_current_endpoint_wins_over_the_one_kept_by_the_exception_handler()
    {
        var context = Matched("/error");
        context.Features.Set<IExceptionHandlerFeature>(new ExceptionHandlerFeature
        {
            Error = new InvalidOperationException("boom"),
            Path = "/api/posts/42",
            Endpoint = Route("/api/posts/{id:long}"),
        });

        Assert.Equal("/error", Label(context));
    }
}
