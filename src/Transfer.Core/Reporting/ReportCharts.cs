using System.Globalization;
using SkiaSharp;

namespace Transfer.Reporting;

/// <summary>
/// Draws the report's plots with SkiaSharp (the version ML.NET's image transforms already load) as PNG bytes.
/// </summary>
internal static class ReportCharts
{
    private const float TitleSize = 15;
    private const float LabelSize = 12;

    private static readonly SKTypeface Typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
    private static readonly SKColor Ink = new(0x33, 0x33, 0x33);
    private static readonly SKColor Grid = new(0xE3, 0xE3, 0xE3);
    private static readonly double[] NiceSteps = [1, 2, 5, 10];

    /// <summary>Draws a confusion matrix as a heat map: rows are true classes, columns predicted; shade is the fraction of the row, the number the count.</summary>
    public static byte[] ConfusionHeatMap(IReadOnlyList<string> classes, int[,] confusion)
    {
        int n = classes.Count;
        float cell = Math.Clamp(560f / Math.Max(n, 1), 18f, 56f);
        using var labelPaint = TextPaint(LabelSize);
        float labelWidth = Math.Min(220, classes.Select(c => labelPaint.Measure(c)).DefaultIfEmpty(0).Max() + 12);
        float left = labelWidth + 28, top = 40, bottom = labelWidth * 0.75f + 40;
        int width = (int)Math.Ceiling(left + (n * cell) + 20);
        int height = (int)Math.Ceiling(top + (n * cell) + bottom);
        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);

        using var title = TextPaint(TitleSize, bold: true);
        title.Draw(canvas, "Confusion matrix (row-normalised shade, counts)", 8, 22);

        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        using var cellText = TextPaint(Math.Clamp(cell * 0.36f, 8f, 14f));
        cellText.Align = SKTextAlign.Center;
        for (int i = 0; i < n; i++)
        {
            int rowTotal = 0;
            for (int j = 0; j < n; j++)
            {
                rowTotal += confusion[i, j];
            }

            for (int j = 0; j < n; j++)
            {
                double fraction = rowTotal == 0 ? 0 : (double)confusion[i, j] / rowTotal;
                var rect = SKRect.Create(left + (j * cell), top + (i * cell), cell, cell);
                fill.Color = Shade(fraction, i == j);
                canvas.DrawRect(rect, fill);
                if (confusion[i, j] != 0 && cell >= 18)
                {
                    cellText.Color = fraction > 0.5 ? SKColors.White : Ink;
                    cellText.Draw(canvas, confusion[i, j].ToString(CultureInfo.InvariantCulture), rect.MidX, rect.MidY + (cellText.Size * 0.35f));
                }
            }
        }

        using var border = new SKPaint { Style = SKPaintStyle.Stroke, Color = Ink, StrokeWidth = 1 };
        canvas.DrawRect(SKRect.Create(left, top, n * cell, n * cell), border);

        // Row labels right-aligned before the grid; column labels rotated under it.
        labelPaint.Align = SKTextAlign.Right;
        for (int i = 0; i < n; i++)
        {
            labelPaint.Draw(canvas, Fit(classes[i], labelPaint, labelWidth - 6), left - 6, top + (i * cell) + (cell / 2) + 4);
        }

        for (int j = 0; j < n; j++)
        {
            canvas.Save();
            canvas.Translate(left + (j * cell) + (cell / 2) + 4, top + (n * cell) + 8);
            canvas.RotateDegrees(-45);
            labelPaint.Draw(canvas, Fit(classes[j], labelPaint, labelWidth - 6), 0, 0);
            canvas.Restore();
        }

        using var axis = TextPaint(LabelSize, bold: true);
        axis.Align = SKTextAlign.Center;
        axis.Draw(canvas, "predicted", left + (n * cell / 2), height - 8);
        canvas.Save();
        canvas.Translate(14, top + (n * cell / 2));
        canvas.RotateDegrees(-90);
        axis.Draw(canvas, "true", 0, 0);
        canvas.Restore();
        return Encode(bitmap);
    }

    /// <summary>Draws lines over epochs 1…n with axes, a grid, a legend and an optional marked epoch.</summary>
    public static byte[] LineChart(string title, string yLabel, IReadOnlyList<ChartSeries> series, int markedEpoch, bool logScale = false)
    {
        const int width = 560, height = 320;
        const float left = 64, right = 16, top = 36, bottom = 44;
        int epochs = series.Max(s => s.Values.Count);
        var values = series.SelectMany(s => s.Values).Where(v => v is { } d && double.IsFinite(d) && (!logScale || d > 0)).Select(v => logScale ? Math.Log10(v!.Value) : v!.Value).ToList();
        double min = values.Count == 0 ? 0 : values.Min(), max = values.Count == 0 ? 1 : values.Max();
        if (max - min < 1e-12)
        {
            double pad = Math.Max(Math.Abs(max) * 0.05, 1e-3);
            min -= pad;
            max += pad;
        }

        var ticks = NiceTicks(min, max, 5);
        min = Math.Min(min, ticks[0]);
        max = Math.Max(max, ticks[^1]);
        float plotW = width - left - right, plotH = height - top - bottom;
        float X(double epoch) => left + (epochs <= 1 ? plotW / 2 : (float)((epoch - 1) / (epochs - 1) * plotW));
        float Y(double v) => top + plotH - (float)((v - min) / (max - min) * plotH);

        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var titlePaint = TextPaint(TitleSize, bold: true);
        titlePaint.Draw(canvas, title, 8, 22);

        using var gridPaint = new SKPaint { Color = Grid, StrokeWidth = 1, IsAntialias = true };
        using var tickText = TextPaint(LabelSize - 1);
        tickText.Align = SKTextAlign.Right;
        foreach (double t in ticks)
        {
            if (t < min - 1e-12 || t > max + 1e-12)
            {
                continue;
            }

            float y = Y(t);
            canvas.DrawLine(left, y, left + plotW, y, gridPaint);
            string label = logScale ? Math.Pow(10, t).ToString("G2", CultureInfo.InvariantCulture) : t.ToString("G4", CultureInfo.InvariantCulture);
            tickText.Draw(canvas, label, left - 6, y + 4);
        }

        tickText.Align = SKTextAlign.Center;
        int step = Math.Max(1, (int)Math.Ceiling(epochs / 10.0));
        for (int e = 1; e <= epochs; e += step)
        {
            canvas.DrawLine(X(e), top + plotH, X(e), top + plotH + 4, gridPaint);
            tickText.Draw(canvas, e.ToString(CultureInfo.InvariantCulture), X(e), top + plotH + 17);
        }

        using var axisPaint = new SKPaint { Color = Ink, StrokeWidth = 1, IsAntialias = true };
        canvas.DrawLine(left, top, left, top + plotH, axisPaint);
        canvas.DrawLine(left, top + plotH, left + plotW, top + plotH, axisPaint);
        using var axisText = TextPaint(LabelSize);
        axisText.Align = SKTextAlign.Center;
        axisText.Draw(canvas, "epoch", left + (plotW / 2), height - 8);
        canvas.Save();
        canvas.Translate(16, top + (plotH / 2));
        canvas.RotateDegrees(-90);
        axisText.Draw(canvas, logScale ? yLabel + " (log scale)" : yLabel, 0, 0);
        canvas.Restore();

        if (markedEpoch >= 1 && markedEpoch <= epochs)
        {
            using var marker = new SKPaint { Color = new SKColor(0x99, 0x99, 0x99), StrokeWidth = 1, IsAntialias = true, PathEffect = SKPathEffect.CreateDash([4, 4], 0) };
            canvas.DrawLine(X(markedEpoch), top, X(markedEpoch), top + plotH, marker);
        }

        // The legend sits in the title row, right-aligned, so it never covers a line.
        float legendX = width - right;
        tickText.Align = SKTextAlign.Right;
        for (int s = 0; s < series.Count; s++)
        {
            var line = series[s];
            using var pen = new SKPaint { Color = line.Color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var dot = new SKPaint { Color = line.Color, IsAntialias = true, Style = SKPaintStyle.Fill };
            using var path = new SKPath();
            bool open = false;
            for (int e = 0; e < line.Values.Count; e++)
            {
                if (line.Values[e] is not { } v || !double.IsFinite(v) || (logScale && v <= 0))
                {
                    open = false;
                    continue;
                }

                float x = X(e + 1), y = Y(logScale ? Math.Log10(v) : v);
                if (open)
                {
                    path.LineTo(x, y);
                }
                else
                {
                    path.MoveTo(x, y);
                    open = true;
                }

                canvas.DrawCircle(x, y, epochs > 40 ? 1.5f : 3f, dot);
            }

            canvas.DrawPath(path, pen);
        }

        for (int s = series.Count - 1; s >= 0; s--)
        {
            using var pen = new SKPaint { Color = series[s].Color, StrokeWidth = 2, IsAntialias = true };
            const float ly = 18;
            canvas.DrawLine(legendX - 20, ly, legendX, ly, pen);
            tickText.Draw(canvas, series[s].Name, legendX - 26, ly + 4);
            legendX -= 26 + tickText.Measure(series[s].Name) + 14;
        }

        return Encode(bitmap);
    }

    /// <summary>Picks round tick values about <paramref name="count"/> intervals apart (1, 2, 5 × 10ⁿ steps) covering [min, max].</summary>
    internal static double[] NiceTicks(double min, double max, int count)
    {
        double span = max - min;
        double rough = span / Math.Max(1, count);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = NiceSteps.Select(m => m * magnitude).First(s => s >= rough);
        double first = Math.Floor(min / step) * step;
        double last = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (double t = first; t <= last + (step / 2); t += step)
        {
            ticks.Add(Math.Round(t / step) * step);
        }

        return [.. ticks];
    }

    private static SKColor Shade(double fraction, bool diagonal)
    {
        // White → blue on the diagonal (right answers), white → orange-red elsewhere (mistakes).
        var (r, g, b) = diagonal ? (0x1F, 0x5A, 0xA6) : (0xD9, 0x48, 0x01);
        double f = Math.Clamp(fraction, 0, 1);
        return new SKColor((byte)(255 - ((255 - r) * f)), (byte)(255 - ((255 - g) * f)), (byte)(255 - ((255 - b) * f)));
    }

    private static ChartText TextPaint(float size, bool bold = false)
        => new(bold ? SKTypeface.FromFamilyName(Typeface.FamilyName, SKFontStyle.Bold) ?? Typeface : Typeface, size, Ink);

    private static string Fit(string text, ChartText paint, float width)
    {
        if (paint.Measure(text) <= width)
        {
            return text;
        }

        int keep = text.Length;
        while (keep > 1 && paint.Measure(string.Concat(text.AsSpan(0, keep), "…")) > width)
        {
            keep--;
        }

        if (keep > 1 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), "…");
    }

    private static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
