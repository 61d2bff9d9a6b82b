namespace Transfer.Testing;

/// <summary>The shape drawn in every image of a synthetic class.</summary>
public enum SyntheticShape
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>A filled axis-aligned square.</summary>
    Square,

    /// <summary>A filled upward triangle.</summary>
    Triangle,

    /// <summary>A plus sign made of two bars.</summary>
    Cross,

    /// <summary>A circle outline.</summary>
    Ring,

    /// <summary>Horizontal stripes across the whole image.</summary>
    Stripes,
}
