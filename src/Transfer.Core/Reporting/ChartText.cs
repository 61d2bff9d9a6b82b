using SkiaSharp;

namespace Transfer.Reporting;

/// <summary>A font, a colour and an alignment for the report's chart text (SkiaSharp 3 draws text with <see cref="SKFont"/>).</summary>
internal sealed class ChartText : IDisposable
{
    private readonly SKFont font;
    private readonly SKPaint paint;

    public ChartText(SKTypeface typeface, float size, SKColor color)
    {
        font = new SKFont(typeface, size);
        paint = new SKPaint { Color = color, IsAntialias = true };
    }

    public SKTextAlign Align { get; set; } = SKTextAlign.Left;

    public SKColor Color
    {
        get => paint.Color;
        set => paint.Color = value;
    }

    public float Size => font.Size;

    public float Measure(string text) => font.MeasureText(text);

    public void Draw(SKCanvas canvas, string text, float x, float y) => canvas.DrawText(text, x, y, Align, font, paint);

    public void Dispose()
    {
        font.Dispose();
        paint.Dispose();
    }
}
