// Package mapping turns the files that accounting software exports into EN 16931 invoices
// (invoice.Invoice), driven by an XML mapping written by an integrator.
//
// # The mapping language (namespace urn:fluxgate:mapping:1)
//
//	<mapping xmlns="urn:fluxgate:mapping:1" name="ventes-csv">
//	  <source format="csv" encoding="windows-1252" delimiter=";" header="true" decimal="," date="dd/mm/yyyy"/>
//	  <constants>
//	    <constant name="vendeur.siret">48239175200011</constant>
//	  </constants>
//	  <lookup name="type-piece">
//	    <entry key="F">380</entry>
//	    <entry key="A">381</entry>
//	  </lookup>
//	  <invoice group-by="NumFacture">
//	    <term bt="BT-1" column="NumFacture"/>
//	    <term bt="BT-3" column="TypePiece" lookup="type-piece"/>
//	    <term bt="BT-5" value="EUR"/>
//	    <term bt="BT-29" const="vendeur.siret" scheme="0009"/>
//	    <group bg="BG-1"><term bt="BT-21" value="PMT"/><term bt="BT-22" value="Indemnité forfaitaire : 40 €"/></group>
//	    <line>
//	      <term bt="BT-129" column="Quantite"/>
//	      <term bt="BT-138" column="Remise"/>
//	    </line>
//	  </invoice>
//	</mapping>
//
// <source>: format="csv" (fixed-width and XML sources come later); encoding utf-8 (default;
// a BOM is stripped), windows-1252, iso-8859-1 or iso-8859-15; delimiter one ASCII character
// or "tab" (default ";"); header "true" (default: the first line names the columns) or
// "false" (columns are numbered from 1); decimal "," (default) or "."; date the default date
// layout (default dd/mm/yyyy), made of dd, mm, yyyy, yy and separators (yyyymmdd, yyyy-mm-dd).
//
// <invoice group-by="column">: consecutive rows with the same value form one invoice; its
// invoice terms come from its first row, and each row gives one line (<line>). Without
// group-by each row is an invoice. grouping="any" accepts rows of an invoice scattered in
// the file, at the cost of holding every invoice in memory until the end of the file.
//
// <term bt="BT-n">: fills business term BT-n. Invoice terms go in <invoice>, line terms
// (BT-126 … BT-161) in <line>. Exactly one value source:
//   - column="Name" (or column="3" without header): the row's value, trimmed; an empty value
//     leaves the term absent;
//   - value="literal";
//   - const="name", a <constant>.
//
// Modifiers: lookup="table" translates the value through a <lookup> (a value the table does
// not list is a problem on its row); default="v" stands in for an empty column (before
// the lookup); date="layout" for a date term; scheme="0009" the identification scheme of an
// identifier (BT-n-1: BT-18, 29, 30, 34, 46, 47, 49, 60, 61, 71, 128, 157, 158);
// required="true" makes an empty column a problem.
//
// Terms are read by kind, known from the BT: amounts, quantities, prices, percentages and
// rates are exact decimals with the source's separator (spaces and no-break spaces as
// thousands separators; a trailing % on rates); dates use the term's layout, else the
// source's. Numbers and dates written in the mapping (value, const, default, lookup results)
// accept both "," and "." and are checked at load time.
//
// Repeatable groups (BG-1 notes, BG-3 preceding invoices, BG-17 credit transfers, BG-20 and
// BG-21 document allowances and charges, BG-23 VAT breakdown, BG-24 documents in <invoice>;
// BG-27 and BG-28 line allowances and charges, BG-32 item attributes in <line>): terms of a
// group written directly form one instance; each <group bg="BG-n"> element forms another.
// An instance exists when one of its column terms has a value (value= and const= only
// complete it, so a constant reason does not create a discount on every line), or when all
// its terms are value= or const=. BT-29 and BT-158 repeat: each term adds one identifier.
//
// After mapping, each invoice goes through invoice.Complete (line net amounts, allowance
// amounts from percentages, VAT breakdown, totals; it never replaces a mapped value). A line
// allowance or charge given as a bare percentage first gets its base: quantity × net price /
// base quantity, rounded to the cent. Lines are numbered 1, 2, … when the mapping does not
// map BT-126.
//
// A mapping that is malformed or names an unknown element, attribute, term, constant or
// lookup is refused by Load with "file:line: what is wrong" for each mistake (*LoadError).
package mapping
