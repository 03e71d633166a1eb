using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// Reads the course's <c>mnist.pkl.gz</c>: gzip of a Python 2 protocol-2 pickle of
/// <c>((x_train, y_train), (x_valid, y_valid), (x_test, y_test))</c>, numpy arrays with x <c>&lt;f4</c> (N, 784) and
/// y <c>&lt;i8</c> (N). A raw (not gzip'ed) pickle reads the same.
/// </summary>
/// <remarks>
/// Every array's shape, dtype and data size is checked before any tensor is allocated. Only what such a file holds is
/// understood (see <see cref="Unpickler"/>); anything else, a big-endian dtype or Fortran order is a
/// <see cref="DataFileException"/> naming the problem.
/// </remarks>
public static class MnistPickle
{
    /// <summary>The course's file name.</summary>
    public const string FileName = "mnist.pkl.gz";

    private static readonly string[] SplitNames = ["train", "valid", "test"];

    /// <summary>Loads the pickle at <paramref name="path"/> into the course's splits, as stored: train, valid, test.</summary>
    /// <returns>X* (N, 784) float32 and Y* (N) int64 tensors on the CPU; the caller owns them (dispose the result).</returns>
    /// <exception cref="DataFileException">The file is missing, damaged, or not a pickle of that shape.</exception>
    public static Mnist Load(string path)
    {
        var bytes = Gzip.ReadAllBytes(path);
        var root = new Unpickler(bytes, path, Reduce).Load();
        var splits = Splits(path, root);

        using var scope = NewDisposeScope();
        var t = splits.Select(s => (X: Tensor(s.X, [s.N, Mnist.Pixels], ScalarType.Float32), Y: Tensor(s.Y, [s.N], ScalarType.Int64))).ToArray();
        var mnist = new Mnist(t[0].X, t[0].Y, t[1].X, t[1].Y, t[2].X, t[2].Y, path);
        foreach (var tensor in mnist.All) tensor.MoveToOuterDisposeScope();
        return mnist;
    }

    private static object Reduce(PickleGlobal callable, object?[] args) => (callable.Module, callable.Name) switch
    {
        ("numpy.core.multiarray", "_reconstruct") => NumpyArray.Reconstruct(args),
        ("numpy", "dtype") => NumpyDType.Reduce(args),
        _ => throw new InvalidDataException($"REDUCE calls {callable}, which a pickle of numpy arrays never calls"),
    };

    /// <summary>The three (x, y) pairs, every array checked against what the splits need.</summary>
    private static (NumpyArray X, NumpyArray Y, long N)[] Splits(string path, object? root)
    {
        if (root is not object?[] { Length: 3 } triple)
            throw new DataFileException(path, "the pickle does not hold a 3-tuple ((x_train, y_train), (x_valid, y_valid), (x_test, y_test)); is this the course's mnist.pkl.gz?");
        return [.. triple.Select((pair, i) =>
        {
            var name = SplitNames[i];
            if (pair is not object?[] { Length: 2 } xy || xy[0] is not NumpyArray x || xy[1] is not NumpyArray y)
                throw new DataFileException(path, $"the {name} split is not a pair of numpy arrays (x_{name}, y_{name})");
            var n = Check(path, $"x_{name}", x, "f4", 4, Mnist.Pixels);
            var labels = Check(path, $"y_{name}", y, "i8", 8, null);
            if (n != labels)
                throw new DataFileException(path, $"x_{name} holds {n:N0} images but y_{name} {labels:N0} labels; they must match");
            if (n == 0) throw new DataFileException(path, $"the {name} split is empty");
            foreach (var pixel in MemoryMarshal.Cast<byte, float>(x.Data.Span))
                if (!float.IsFinite(pixel)) throw new DataFileException(path, $"x_{name} holds the pixel value {pixel}; MNIST pixels are finite numbers (0 to 1 in the course's file). The file is damaged: download it again");
            foreach (var label in MemoryMarshal.Cast<byte, long>(y.Data.Span))
                if (label is < 0 or > 9) throw new DataFileException(path, $"y_{name} holds the label {label}; MNIST labels are 0 to 9");
            return (x, y, n);
        })];
    }

    /// <summary>Checks dtype, order, shape (N) or (N, <paramref name="columns"/>) and data size; returns N.</summary>
    private static long Check(string path, string name, NumpyArray a, string kind, int itemSize, int? columns)
    {
        var dtype = a.DType ?? throw new DataFileException(path, $"{name} is a numpy array whose dtype and data never arrive (no BUILD opcode); the file is corrupt");
        if (dtype.ByteOrder == '>')
            throw new DataFileException(path, $"{name} is stored big-endian ({dtype}); the reader takes the course's little-endian <{kind} only");
        if (dtype.Kind != kind || dtype.ByteOrder != '<')
            throw new DataFileException(path, $"{name} has dtype {dtype}; expected <{kind}");
        if (a.IsFortran)
            throw new DataFileException(path, $"{name} is stored in Fortran (column-major) order; the reader takes C (row-major) order only");
        var expected = columns is { } c ? $"(N, {c})" : "(N,)";
        if (a.Shape.Count != (columns is null ? 1 : 2) || (columns is { } cols && a.Shape[1] != cols))
            throw new DataFileException(path, $"{name} has shape {a.ShapeText}; expected {expected}");
        // Dimensions come from BININT (at most 2^31), so the product fits in a long.
        var need = a.Shape[0] * (columns ?? 1) * itemSize;
        if (a.Data.Length != need)
            throw new DataFileException(path, $"{name} has {a.Data.Length:N0} bytes of data but its shape {a.ShapeText} of {dtype} needs {need:N0}; the file is corrupt");
        return a.Shape[0];
    }

    /// <summary>A tensor of <paramref name="shape"/> holding a copy of the array's (already checked) data.</summary>
    private static Tensor Tensor(NumpyArray a, long[] shape, ScalarType dtype)
    {
        var t = empty(shape, dtype);
        a.Data.Span.CopyTo(t.bytes);
        return t;
    }
}
