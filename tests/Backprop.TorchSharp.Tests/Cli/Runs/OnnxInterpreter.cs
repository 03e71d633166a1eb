using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Onnx;

namespace Backprop.Tests.Cli.Runs;

/// <summary>
/// A small ONNX interpreter of the test suite's own, independent of TorchSharp and of the exporter's code: it reads a
/// model's graph and its initializers through ONNX's protobuf types (OnnxSharp's <c>Onnx</c> namespace) and runs them in
/// plain C# over float arrays, by the ONNX operator specification. It knows exactly the operators <c>backprop export</c>
/// emits, Gemm and Relu, and refuses any other operator, attribute, domain or data type by name, so that a change to
/// the exporter fails the proof until this interpreter is taught the new operator.
/// </summary>
internal sealed class OnnxInterpreter
{
    /// <summary>A float tensor: its shape and its values in row-major order.</summary>
    internal sealed record Value(long[] Shape, float[] Data);

    private readonly GraphProto _graph;
    private readonly Dictionary<string, Value> _initializers;

    public OnnxInterpreter(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var opset in model.OpsetImport)
            if (opset.Domain is not ("" or "ai.onnx")) throw new NotSupportedException($"opset domain '{opset.Domain}' is not ONNX's own");
        _graph = model.Graph ?? throw new InvalidDataException("the model has no graph");
        _initializers = _graph.Initializer.ToDictionary(t => t.Name, Read);
    }

    public static OnnxInterpreter Load(string path) => new(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)));

    /// <summary>The graph's one input that is not an initializer, and its one output.</summary>
    public string InputName => _graph.Input.Select(i => i.Name).Where(n => !_initializers.ContainsKey(n)).Single();

    public string OutputName => _graph.Output.Single().Name;

    /// <summary>Runs the graph's nodes in their stored order (ONNX requires it topological) on <paramref name="input"/>.</summary>
    public Value Run(Value input)
    {
        var declared = _graph.Input.Single(i => i.Name == InputName).Type.TensorType;
        if (declared.ElemType != (int)TensorProto.Types.DataType.Float) throw new NotSupportedException($"input {InputName} is of ONNX type {declared.ElemType}, not float");
        var dims = declared.Shape.Dim;
        if (dims.Count != input.Shape.Length || dims.Zip(input.Shape).Any(d => d.First.DimValue != 0 && d.First.DimValue != d.Second))
            throw new ArgumentException($"input {InputName} is declared ({string.Join(", ", dims.Select(d => d.DimValue == 0 ? d.DimParam : d.DimValue.ToString()))}), given ({string.Join(", ", input.Shape)})");

        var values = new Dictionary<string, Value>(_initializers) { [InputName] = input };
        foreach (var node in _graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx")) throw new NotSupportedException($"node {node.Name}: domain '{node.Domain}' is not ONNX's own");
            var inputs = node.Input.Select(n => values.TryGetValue(n, out var v) ? v : throw new InvalidDataException($"node {node.Name}: its input {n} is computed by no node before it")).ToArray();
            values[node.Output.Single()] = node.OpType switch
            {
                "Gemm" => Gemm(node, inputs),
                "Relu" => Relu(node, inputs),
                _ => throw new NotSupportedException($"node {node.Name}: operator {node.OpType} is not one that backprop export emits (Gemm, Relu); teach this interpreter it from the ONNX specification"),
            };
        }
        return values.TryGetValue(OutputName, out var output) ? output : throw new InvalidDataException($"no node computes the output {OutputName}");
    }

    // Gemm: Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A (M, K), B' = transB ? Bᵀ : B (K, N), C broadcast to (M, N).
    private static Value Gemm(NodeProto node, Value[] inputs)
    {
        if (inputs.Length is not (2 or 3)) throw new InvalidDataException($"node {node.Name}: Gemm takes 2 or 3 inputs, not {inputs.Length}");
        float alpha = 1, beta = 1;
        bool transA = false, transB = false;
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "alpha": alpha = a.F; break;
                case "beta": beta = a.F; break;
                case "transA": transA = a.I != 0; break;
                case "transB": transB = a.I != 0; break;
                default: throw new NotSupportedException($"node {node.Name}: Gemm has no attribute {a.Name}");
            }
        }
        var (a2, b2) = (Matrix(node, inputs[0], "A"), Matrix(node, inputs[1], "B"));
        var at = transA ? Transpose(a2) : a2;  // (M, K)
        var bt = transB ? b2 : Transpose(b2);  // (N, K): B' by columns, so each output is a dot product of two rows
        var (m, k, n) = (at.Shape[0], at.Shape[1], bt.Shape[0]);
        if (bt.Shape[1] != k) throw new InvalidDataException($"node {node.Name}: Gemm's A' is ({m}, {k}) but B' is ({bt.Shape[1]}, {n})");
        var c = inputs.Length == 3 ? inputs[2] : new Value([], [0f]);
        if (c.Shape.Length > 2 || c.Shape.Reverse().Zip(new[] { n, m }).Any(p => p.First != 1 && p.First != p.Second))
            throw new InvalidDataException($"node {node.Name}: Gemm's C ({string.Join(", ", c.Shape)}) does not broadcast to ({m}, {n})");
        var (cRows, cCols) = c.Shape.Length switch { 0 => (1L, 1L), 1 => (1L, c.Shape[0]), _ => (c.Shape[0], c.Shape[1]) };

        var (ad, bd) = (Array.ConvertAll(at.Data, v => (double)v), Array.ConvertAll(bt.Data, v => (double)v));
        var y = new float[m * n];
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++)
            {
                var dot = Dot(ad.AsSpan((int)(i * k), (int)k), bd.AsSpan((int)(j * k), (int)k));
                y[i * n + j] = (float)(alpha * dot + beta * (double)c.Data[(cRows == 1 ? 0 : i) * cCols + (cCols == 1 ? 0 : j)]);
            }
        return new Value([m, n], y);
    }

    // Σ a[p]·b[p] in double, several lanes at a time; optimised by the JIT even in a Debug build of the tests.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var lanes = Vector<double>.Zero;
        var p = 0;
        for (; p <= a.Length - Vector<double>.Count; p += Vector<double>.Count) lanes += new Vector<double>(a[p..]) * new Vector<double>(b[p..]);
        var dot = Vector.Sum(lanes);
        for (; p < a.Length; p++) dot += a[p] * b[p];
        return dot;
    }

    // Relu: Y = max(0, X), elementwise.
    private static Value Relu(NodeProto node, Value[] inputs)
    {
        if (inputs.Length != 1 || node.Attribute.Count != 0) throw new InvalidDataException($"node {node.Name}: Relu takes one input and no attributes");
        return new Value(inputs[0].Shape, [.. inputs[0].Data.Select(v => Math.Max(0f, v))]);
    }

    private static Value Matrix(NodeProto node, Value v, string role) =>
        v.Shape.Length == 2 ? v : throw new InvalidDataException($"node {node.Name}: Gemm's {role} has rank {v.Shape.Length}, not 2");

    private static Value Transpose(Value v)
    {
        var (r, c) = (v.Shape[0], v.Shape[1]);
        var t = new float[v.Data.Length];
        for (long i = 0; i < r; i++)
            for (long j = 0; j < c; j++) t[j * r + i] = v.Data[i * c + j];
        return new Value([c, r], t);
    }

    // An initializer's values: float_data, or raw_data as little-endian float32; nothing else is read.
    private static Value Read(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new NotSupportedException($"initializer {t.Name} is of ONNX type {t.DataType}, not float");
        if (t.DataLocation != TensorProto.Types.DataLocation.Default || t.Segment is not null) throw new NotSupportedException($"initializer {t.Name} is stored externally or in segments");
        var count = t.Dims.Aggregate(1L, (p, d) => p * d);
        var data = t.RawData.Length > 0
            ? Enumerable.Range(0, t.RawData.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(t.RawData.Span[(4 * i)..])).ToArray()
            : [.. t.FloatData];
        if (data.Length != count) throw new InvalidDataException($"initializer {t.Name} holds {data.Length} values for shape ({string.Join(", ", t.Dims)})");
        return new Value([.. t.Dims], data);
    }
}
