using SkiaSharp;
using Transfer.Images;

namespace Transfer.ReliabilityTests;

/// <summary>An image decoded through the public entry point into planar A,R,G,B floats, with pixel assertions.</summary>
internal sealed class Decoded
{
    private readonly float[] _planes;
    private readonly int _width;
    private readonly int _plane;

    private Decoded(float[] planes, int width, int height)
    {
        _planes = planes;
        _width = width;
        _plane = width * height;
    }

    /// <summary>Decodes at <paramref name="width"/>×<paramref name="height"/> (the image's own size keeps every pixel: nearest-neighbour stretch).</summary>
    public static Decoded Of(byte[] encoded, int width, int height, ImagePreprocessing? preprocessing = null)
    {
        var planes = new float[4 * width * height];
        ImageDecoder.DecodeToPlanes(encoded, "test", width, height, preprocessing ?? ImagePreprocessing.Default, planes);
        return new Decoded(planes, width, height);
    }

    public float A(int x, int y) => _planes[(y * _width) + x];

    public float R(int x, int y) => _planes[_plane + (y * _width) + x];

    public float G(int x, int y) => _planes[(2 * _plane) + (y * _width) + x];

    public float B(int x, int y) => _planes[(3 * _plane) + (y * _width) + x];

    public void AssertColour(int x, int y, SKColor expected, int tolerance)
    {
        float r = R(x, y);
        float g = G(x, y);
        float b = B(x, y);
        Assert.True(
            Math.Abs(r - expected.Red) <= tolerance && Math.Abs(g - expected.Green) <= tolerance && Math.Abs(b - expected.Blue) <= tolerance,
            $"Pixel ({x}, {y}) is ({r}, {g}, {b}), expected about ({expected.Red}, {expected.Green}, {expected.Blue}) ± {tolerance}.");
    }

    public void AssertOpaque() => Assert.All(_planes[.._plane], a => Assert.Equal(255f, a));
}
