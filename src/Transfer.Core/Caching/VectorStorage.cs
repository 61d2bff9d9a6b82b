namespace Transfer.Caching;

/// <summary>How a <see cref="BottleneckCache"/> stores vector elements on disk. Reads always return <see cref="float"/>.</summary>
public enum VectorStorage
{
    /// <summary>IEEE 754 single precision (float32), 4 bytes an element, exact.</summary>
    SinglePrecision = 0,

    /// <summary>IEEE 754 half precision (float16), 2 bytes an element; relative error up to about 0.05 %, values beyond ±65504 become infinite.</summary>
    HalfPrecision = 1,
}
