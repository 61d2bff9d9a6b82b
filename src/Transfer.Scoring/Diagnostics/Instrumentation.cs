using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Transfer.Diagnostics;

/// <summary>
/// What every package's instruments and spans share, compiled into each package that records: its activity source and
/// meter (one instance per assembly, all named by <see cref="TransferTelemetry"/>, so a listener of the name gets them all).
/// </summary>
internal static class Instrumentation
{
    /// <summary>This assembly's activity source.</summary>
    public static readonly ActivitySource Source = new(TransferTelemetry.ActivitySourceName);

    /// <summary>This assembly's meter.</summary>
    public static readonly Meter Meter = new(TransferTelemetry.MeterName);

    /// <summary>Gets bucket boundaries for durations in seconds (OpenTelemetry's defaults suit milliseconds): those of <c>http.server.request.duration</c>, up to a minute.</summary>
    public static InstrumentAdvice<double> Seconds => new() { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60] };

    /// <summary>Marks a span failed (OpenTelemetry's error status and <c>error.type</c>); returns <see langword="false"/> so it can sit in an exception filter that catches nothing.</summary>
    /// <param name="activity">The span, or <see langword="null"/> when nobody listens.</param>
    /// <param name="exception">The failure.</param>
    /// <returns>Always <see langword="false"/>.</returns>
    public static bool Fail(Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.SetTag("error.type", exception is OperationCanceledException ? "cancelled" : exception.GetType().FullName);
        }

        return false;
    }
}
