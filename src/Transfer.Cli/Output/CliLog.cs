using Microsoft.Extensions.Logging;

namespace Transfer.Cli.Output;

/// <summary>Source-generated log messages of the command line itself (category <see cref="Category"/>).</summary>
internal static partial class CliLog
{
    /// <summary>The category.</summary>
    public const string Category = "Transfer.Cli";

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "transfer {Version}: {Arguments}")]
    public static partial void Started(ILogger logger, string version, string arguments);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Exit code {Code} after {Seconds:F2} s.")]
    public static partial void Finished(ILogger logger, int code, double seconds);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "--device {Device}: {Requested} cannot be used, so the backbone runs on the CPU. {Problem}")]
    public static partial void DeviceFellBackToCpu(ILogger logger, string device, string requested, string problem);
}
