namespace Backprop.Data;

/// <summary>The content of an IDX images file.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Rows per image (28 for MNIST).</param>
/// <param name="Cols">Columns per image (28 for MNIST).</param>
/// <param name="Pixels">(Count × Rows × Cols) bytes, 0 to 255, row-major.</param>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);
