using Microsoft.Extensions.Logging;

namespace Transfer.Backbones.Quantization;

/// <summary>Source-generated log messages of backbone quantization.</summary>
internal static partial class QuantizationLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Quantized backbone {Name}: {Report}")]
    public static partial void Quantized(ILogger logger, string name, QuantizationReport report);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Int8 backbone {Name} missed the accuracy guard: {Warning}")]
    public static partial void GuardMissed(ILogger logger, string name, string warning);
}
