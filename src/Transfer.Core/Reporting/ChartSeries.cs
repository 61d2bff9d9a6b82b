using SkiaSharp;

namespace Transfer.Reporting;

/// <summary>One line of a chart: a value per epoch (<see langword="null"/> where there is none).</summary>
internal sealed record ChartSeries(string Name, SKColor Color, IReadOnlyList<double?> Values);
