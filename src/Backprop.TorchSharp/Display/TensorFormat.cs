using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace Backprop.Display;

/// <summary>
/// Prints a tensor as PyTorch does under the course's <c>torch.set_printoptions(precision=2, linewidth=140, sci_mode=False)</c>:
/// <c>tensor([[-0.09, -0.21], [ 0.10, -0.04]])</c> with one row per line, every element padded to the widest, and tensors
/// of more than 1000 elements summarised to their first and last 3 entries per dimension with <c>...</c>. So a C#
/// notebook's output can be held against the course notebook's line by line.
/// </summary>
public static class TensorFormat
{
    /// <summary>PyTorch's threshold: tensors with more elements are summarised.</summary>
    public const int Threshold = 1000;

    /// <summary>Entries kept at each end of a summarised dimension.</summary>
    public const int EdgeItems = 3;

    /// <summary>The tensor as <c>tensor(...)</c>, with floats to <paramref name="precision"/> decimals.</summary>
    /// <param name="t">Any tensor, on any device.</param>
    /// <param name="precision">Decimals of floating-point elements.</param>
    /// <param name="lineWidth">The widest line, as PyTorch's <c>linewidth</c>.</param>
    public static string Str(Tensor t, int precision = 2, int lineWidth = 140)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentOutOfRangeException.ThrowIfNegative(precision);
        using var scope = NewDisposeScope();
        var host = t.detach().cpu();
        var summarise = host.numel() > Threshold;
        var shown = summarise ? Edges(host) : host;
        var cells = Cells(shown, precision);
        var width = cells.Length == 0 ? 0 : cells.Max(c => c.Length);
        var sb = new StringBuilder("tensor(");
        if (host.dim() == 0) sb.Append(cells[0]);
        else if (host.numel() == 0) sb.Append("[]");
        else
        {
            var index = 0;
            Append(sb, host.shape, 0, cells, ref index, width, "tensor(".Length, summarise, lineWidth);
        }
        if (host.numel() == 0 && host.dim() > 1) sb.Append(CultureInfo.InvariantCulture, $", size=({string.Join(", ", host.shape)})");
        return sb.Append(')').ToString();
    }

    // The elements that will be shown, in order: for a summarised tensor, the first and last EdgeItems along every dimension.
    private static Tensor Edges(Tensor t)
    {
        for (var d = 0; d < t.dim(); d++)
            if (t.shape[d] > 2 * EdgeItems)
                t = cat([t.narrow(d, 0, EdgeItems), t.narrow(d, t.shape[d] - EdgeItems, EdgeItems)], d);
        return t;
    }

    private static string[] Cells(Tensor t, int precision)
    {
        var c = CultureInfo.InvariantCulture;
        var flat = t.contiguous().flatten();
        return t.dtype switch
        {
            ScalarType.Bool => [.. flat.data<bool>().ToArray().Select(b => b ? "True" : "False")],
            ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte =>
                [.. flat.to_type(ScalarType.Int64).data<long>().ToArray().Select(v => v.ToString(c))],
            _ => Floats(flat.to_type(ScalarType.Float64).data<double>().ToArray(), precision, c),
        };
    }

    // PyTorch's int mode: when every finite value shown is whole, floats print as "3." rather than "3.00".
    private static string[] Floats(double[] values, int precision, CultureInfo c)
    {
        var whole = values.Where(double.IsFinite).All(v => v == Math.Floor(v));
        return [.. values.Select(v =>
            double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" :
            whole ? v.ToString("F0", c) + "." : v.ToString("F" + precision, c))];
    }

    private static void Append(StringBuilder sb, long[] shape, int dim, string[] cells, ref int index, int width, int indent, bool summarise, int lineWidth)
    {
        var n = shape[dim];
        var shownCount = summarise && n > 2 * EdgeItems ? 2 * EdgeItems : n;
        sb.Append('[');
        if (dim == shape.Length - 1)
        {
            var perLine = Math.Max(1, (lineWidth - indent - 1) / (width + 2));
            for (var i = 0; i < shownCount; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                    sb.Append((i % perLine == 0) ? "\n" + new string(' ', indent + 1) : " ");
                }
                if (shownCount < n && i == EdgeItems) sb.Append(" ..., ");
                sb.Append(cells[index++].PadLeft(width));
            }
        }
        else
        {
            var gap = new string('\n', shape.Length - dim - 1);
            for (var i = 0; i < shownCount; i++)
            {
                if (i > 0) sb.Append(',').Append(gap).Append(' ', indent + 1);
                if (shownCount < n && i == EdgeItems) sb.Append("...,").Append(gap).Append(' ', indent + 1);
                Append(sb, shape, dim + 1, cells, ref index, width, indent + 1, summarise, lineWidth);
            }
        }
        sb.Append(']');
    }
}
